export interface CartTable {
  id: string;
  customer_id: string | null;
  created_at: string;
  updated_at: string;
}
export interface CartItemTable {
  cart_id: string;
  variant_id: string;
  quantity: number;
  added_at: string;
}
