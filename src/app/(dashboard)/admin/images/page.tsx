import type { Metadata } from "next";
import { ImagesView } from "@/components/images/images-view";

export const metadata: Metadata = { title: "Images · Admin" };

export default function AdminImagesPage() {
  return <ImagesView scope="admin" />;
}
